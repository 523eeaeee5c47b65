ALTER TABLE "api_tokens" ADD COLUMN "scopes" text[] DEFAULT '{read,write}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "disabled_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "deleted_at" timestamp (3) with time zone;--> statement-breakpoint
-- Tokens made before scopes keep every right their user has: read and write for everyone, and
-- admin too for an administrator's tokens.
UPDATE "api_tokens" SET "scopes" = '{read,write,admin}'::text[] WHERE "user_id" IN (SELECT "id" FROM "users" WHERE "is_admin");
