CREATE TABLE "webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"webhook_id" text NOT NULL,
	"event_id" bigint NOT NULL,
	"ordering_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status" integer,
	"last_error" text,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"leased_until" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp (3) with time zone,
	CONSTRAINT "webhook_deliveries_status_check" CHECK ("webhook_deliveries"."status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"url" text NOT NULL,
	"events" text[] DEFAULT '{}'::text[] NOT NULL,
	"description" text,
	"secret" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at","id") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_queue_idx" ON "webhook_deliveries" USING btree ("webhook_id","ordering_key","id") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_idx" ON "webhook_deliveries" USING btree ("webhook_id","id");--> statement-breakpoint
CREATE INDEX "webhooks_user_idx" ON "webhooks" USING btree ("user_id","created_at");
--> statement-breakpoint

-- Hand-written (drizzle-kit cannot express triggers): the webhook outbox is filled by the insert of
-- each event, in its transaction, whichever code path writes it. A user's webhooks get events of
-- their own containers; an admin's get every event (host events included). `webhook.test` events
-- go only to the webhook named in their detail. Filters: `*`, an exact type, a prefix (`container`)
-- or a prefix ending in `.*`.
CREATE FUNCTION "rexec_enqueue_webhook_deliveries"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Without any webhook there is nothing to match: skip the query below, and the locks on users and
  -- containers it would take, for every event of an installation that uses none.
  IF NOT EXISTS (SELECT 1 FROM webhooks) THEN
    RETURN NULL;
  END IF;
  IF NEW.type = 'webhook.test' THEN
    INSERT INTO webhook_deliveries (webhook_id, event_id, ordering_key)
    SELECT w.id, NEW.id, '' FROM webhooks w WHERE w.id = NEW.detail->>'webhook_id';
    RETURN NULL;
  END IF;
  INSERT INTO webhook_deliveries (webhook_id, event_id, ordering_key)
  SELECT w.id, NEW.id, coalesce(NEW.container_id, NEW.host_id, '')
  FROM webhooks w JOIN users u ON u.id = w.user_id
  WHERE u.disabled_at IS NULL
    AND (u.is_admin OR (NEW.container_id IS NOT NULL AND EXISTS (
      SELECT 1 FROM containers c WHERE c.id = NEW.container_id AND c.user_id = w.user_id)))
    AND EXISTS (
      SELECT 1 FROM unnest(w.events) AS f(p)
      WHERE p = '*' OR p = NEW.type
        OR starts_with(NEW.type, CASE WHEN right(p, 2) = '.*' THEN left(p, -1) ELSE p || '.' END))
  ORDER BY w.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "events_enqueue_webhook_deliveries" AFTER INSERT ON "events"
  FOR EACH ROW EXECUTE FUNCTION "rexec_enqueue_webhook_deliveries"();
