CREATE TABLE "container_stats" (
	"container_id" text PRIMARY KEY NOT NULL,
	"cpu_millicores" integer,
	"memory_bytes" bigint,
	"memory_limit_bytes" bigint,
	"pids" integer,
	"net_rx_bytes" bigint,
	"net_tx_bytes" bigint,
	"sampled_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "container_stats_non_negative" CHECK ("container_stats"."cpu_millicores" >= 0 and "container_stats"."memory_bytes" >= 0 and "container_stats"."pids" >= 0)
);
--> statement-breakpoint
ALTER TABLE "container_stats" ADD CONSTRAINT "container_stats_container_id_containers_id_fk" FOREIGN KEY ("container_id") REFERENCES "public"."containers"("id") ON DELETE cascade ON UPDATE no action;