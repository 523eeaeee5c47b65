CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor_user_id" text,
	"actor_token_id" text,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"ip" text NOT NULL,
	"user_agent" text,
	"request_id" text NOT NULL,
	"outcome" text NOT NULL,
	"status_code" integer NOT NULL,
	"error_code" text
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "tx_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_user_id","id");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "audit_log" USING btree ("action","id");--> statement-breakpoint
CREATE INDEX "events_tx_idx" ON "events" USING btree ("tx_id","id");--> statement-breakpoint
CREATE INDEX "events_container_tx_idx" ON "events" USING btree ("container_id","tx_id","id");--> statement-breakpoint
-- Wakes readers of the events table (GET /events/stream on every replica): one notification per
-- writing transaction (Postgres folds identical payloads of one transaction), delivered at commit.
-- The payload is empty on purpose: readers re-read the table by cursor, so nothing is lost when a
-- notification is, and no event data travels outside the table's visibility rules.
CREATE FUNCTION "rexec_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rexec_events', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "events_notify" AFTER INSERT ON "events"
  FOR EACH STATEMENT EXECUTE FUNCTION "rexec_events_notify"();
