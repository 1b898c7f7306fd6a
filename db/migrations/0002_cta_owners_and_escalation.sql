ALTER TABLE "ctas" DROP CONSTRAINT "ctas_state_ck";--> statement-breakpoint
ALTER TABLE "ctas" ADD COLUMN "title" text NOT NULL;--> statement-breakpoint
ALTER TABLE "ctas" ADD COLUMN "backup_person_id" text;--> statement-breakpoint
ALTER TABLE "ctas" ADD COLUMN "escalation_level" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "ctas" ADD CONSTRAINT "ctas_backup_person_id_people_id_fk" FOREIGN KEY ("backup_person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ctas_due_idx" ON "ctas" USING btree ("state","due_at");--> statement-breakpoint
ALTER TABLE "ctas" ADD CONSTRAINT "ctas_escalation_ck" CHECK ("ctas"."escalation_level" in ('none','backup','csLead'));--> statement-breakpoint
ALTER TABLE "ctas" ADD CONSTRAINT "ctas_state_ck" CHECK ("ctas"."state" in ('open','first_action','done','escalated','cancelled'));