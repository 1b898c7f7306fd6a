CREATE TABLE "workflow_starts" (
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "workflow_starts_kind_subject_id_pk" PRIMARY KEY("kind","subject_id"),
	CONSTRAINT "workflow_starts_kind_ck" CHECK ("workflow_starts"."kind" in ('placement-review','cta-clock'))
);
--> statement-breakpoint
ALTER TABLE "idempotency_records" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "workflow_starts_pending_idx" ON "workflow_starts" USING btree ("created_at") WHERE dispatched_at is null;--> statement-breakpoint
-- Backfill the outbox: every client needs its placement review and every CTA still waiting for a
-- first action its clock; the worker's dispatcher starts any that do not run (USE_EXISTING).
INSERT INTO "workflow_starts" ("kind", "subject_id") SELECT 'placement-review', "id" FROM "clients" ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "workflow_starts" ("kind", "subject_id") SELECT 'cta-clock', "id" FROM "ctas" WHERE "state" IN ('open', 'escalated') AND "first_action_at" IS NULL ON CONFLICT DO NOTHING;
