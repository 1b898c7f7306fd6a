ALTER TABLE "meetings" ADD COLUMN "accountable_role" text;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "strategic" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "segment" text;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "prep_hours" numeric(5, 2) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "held_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "decision_count" integer;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "sponsor_present" boolean;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "recap_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "recap_sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "superseded_by" text;--> statement-breakpoint
CREATE INDEX "meetings_person_starts_idx" ON "meetings" USING btree ("accountable_person_id","starts_at");--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_state_ck" CHECK ("meetings"."state" in ('scheduled','held','missed','cancelled','moved','unbooked'));