ALTER TABLE "hosts" DROP CONSTRAINT "hosts_scheduling_check";--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "quarantined" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_scheduling_check" CHECK ("hosts"."scheduling" in ('active', 'cordoned', 'draining', 'unhealthy', 'pending'));