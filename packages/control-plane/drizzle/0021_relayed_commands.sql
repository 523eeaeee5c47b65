CREATE TABLE "relayed_commands" (
	"id" text PRIMARY KEY NOT NULL,
	"host_id" text NOT NULL,
	"container_id" text NOT NULL,
	"command" jsonb NOT NULL,
	"requested_by" text NOT NULL,
	"deadline" timestamp (3) with time zone NOT NULL,
	"claimed_by" text,
	"result" jsonb,
	"failure" text,
	"acknowledged" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "relayed_commands" ADD CONSTRAINT "relayed_commands_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "relayed_commands_host_open" ON "relayed_commands" USING btree ("host_id","claimed_by");