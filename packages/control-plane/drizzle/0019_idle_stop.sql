ALTER TABLE "containers" ADD COLUMN "last_active_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "tiers" ADD COLUMN "idle_stop_minutes" integer;--> statement-breakpoint
ALTER TABLE "tiers" ADD CONSTRAINT "tiers_idle_stop_minutes_check" CHECK ("tiers"."idle_stop_minutes" between 1 and 43200);