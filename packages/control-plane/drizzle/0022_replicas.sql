CREATE TABLE "replicas" (
	"id" text PRIMARY KEY NOT NULL,
	"advertise_url" text NOT NULL,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
