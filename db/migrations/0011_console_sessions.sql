CREATE TABLE "console_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"principal" jsonb,
	"api_key_id" text,
	"csrf_token" text NOT NULL,
	"login" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "console_sessions_state_ck" CHECK ("console_sessions"."state" in ('pending','active'))
);
--> statement-breakpoint
CREATE INDEX "console_sessions_expires_idx" ON "console_sessions" USING btree ("expires_at");