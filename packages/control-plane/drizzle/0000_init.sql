CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"token_prefix" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "containers" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"image" text NOT NULL,
	"custom_image" text,
	"role" text NOT NULL,
	"desired_status" text DEFAULT 'running' NOT NULL,
	"status" text DEFAULT 'creating' NOT NULL,
	"status_reason" text,
	"status_detail" text,
	"host_id" text,
	"cpu_millicores" integer NOT NULL,
	"memory_mb" integer NOT NULL,
	"disk_mb" integer NOT NULL,
	"network_mbps" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"stopped_at" timestamp (3) with time zone,
	"session_expires_at" timestamp (3) with time zone,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor_user_id" text,
	"container_id" text,
	"host_id" text,
	"type" text NOT NULL,
	"reason" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "host_credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"host_id" text NOT NULL,
	"credential_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "host_credentials_credential_hash_unique" UNIQUE("credential_hash")
);
--> statement-breakpoint
CREATE TABLE "host_join_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp (3) with time zone,
	"created_by" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "host_join_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "hosts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'unreachable' NOT NULL,
	"scheduling" text DEFAULT 'active' NOT NULL,
	"capacity_cpu_millicores" integer DEFAULT 0 NOT NULL,
	"capacity_memory_mb" integer DEFAULT 0 NOT NULL,
	"capacity_disk_mb" integer DEFAULT 0 NOT NULL,
	"reserved_cpu_millicores" integer DEFAULT 0 NOT NULL,
	"reserved_memory_mb" integer DEFAULT 0 NOT NULL,
	"reserved_disk_mb" integer DEFAULT 0 NOT NULL,
	"runtime_kind" text,
	"runtime_version" text,
	"agent_version" text,
	"last_seen_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hosts_status_check" CHECK ("hosts"."status" in ('online', 'unreachable')),
	CONSTRAINT "hosts_scheduling_check" CHECK ("hosts"."scheduling" in ('active', 'cordoned', 'draining')),
	CONSTRAINT "hosts_reserved_non_negative" CHECK ("hosts"."reserved_cpu_millicores" >= 0 and "hosts"."reserved_memory_mb" >= 0 and "hosts"."reserved_disk_mb" >= 0)
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"key" varchar(255) PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" bigint
);
--> statement-breakpoint
CREATE TABLE "tiers" (
	"name" text PRIMARY KEY NOT NULL,
	"cpu_millicores" integer NOT NULL,
	"memory_mb" integer NOT NULL,
	"disk_mb" integer NOT NULL,
	"network_mbps" integer NOT NULL,
	"max_containers" integer NOT NULL,
	"session_hours" integer,
	"rate_create_per_min" integer NOT NULL,
	"rate_ops_per_min" integer NOT NULL,
	"rate_list_per_min" integer NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"tier" text NOT NULL,
	"is_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "containers" ADD CONSTRAINT "containers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "containers" ADD CONSTRAINT "containers_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_credentials" ADD CONSTRAINT "host_credentials_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_join_tokens" ADD CONSTRAINT "host_join_tokens_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_tier_tiers_name_fk" FOREIGN KEY ("tier") REFERENCES "public"."tiers"("name") ON DELETE no action ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "containers_user_name_live_idx" ON "containers" USING btree ("user_id","name") WHERE "containers"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "containers_user_created_idx" ON "containers" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "containers_host_idx" ON "containers" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "events_container_idx" ON "events" USING btree ("container_id","id");--> statement-breakpoint
CREATE INDEX "events_host_idx" ON "events" USING btree ("host_id","id");--> statement-breakpoint
CREATE INDEX "host_credentials_host_idx" ON "host_credentials" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "hosts_name_idx" ON "hosts" USING btree ("name");