-- Custom SQL migration file, put your code below! --
-- The events table is an append-only audit log (DESIGN: "who did what, when, with the reason").
-- drizzle-kit cannot express triggers, so this migration is hand-written. A future retention job
-- must drop these triggers in its own migration, deliberately.
CREATE FUNCTION "rexec_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "events_no_update_delete" BEFORE UPDATE OR DELETE ON "events"
  FOR EACH ROW EXECUTE FUNCTION "rexec_events_append_only"();
--> statement-breakpoint
CREATE TRIGGER "events_no_truncate" BEFORE TRUNCATE ON "events"
  FOR EACH STATEMENT EXECUTE FUNCTION "rexec_events_append_only"();
