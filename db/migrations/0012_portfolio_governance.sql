CREATE TABLE "credit_gates" (
	"id" text PRIMARY KEY NOT NULL,
	"rule_id" text NOT NULL,
	"person_id" text,
	"segment" text,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"reason" jsonb NOT NULL,
	"release_reason" jsonb,
	"cta_id" text
);
--> statement-breakpoint
CREATE TABLE "defense_loop_intakes" (
	"client_id" text NOT NULL,
	"month" text NOT NULL,
	"incidents" integer NOT NULL,
	"oldest_exception_age_days" integer,
	"cost_to_serve_usd" numeric(12, 2),
	"stable" boolean NOT NULL,
	"risks" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"notes" text,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "defense_loop_intakes_client_id_month_pk" PRIMARY KEY("client_id","month")
);
--> statement-breakpoint
CREATE TABLE "governance_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"routine" text NOT NULL,
	"period" text NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"held_by" timestamp with time zone NOT NULL,
	"state" text DEFAULT 'convened' NOT NULL,
	"agenda" jsonb NOT NULL,
	"held_at" timestamp with time zone,
	"attendees" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"notes" text,
	"late" boolean DEFAULT false NOT NULL,
	"policy_version" integer NOT NULL,
	"workflow_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "governance_sessions_state_ck" CHECK ("governance_sessions"."state" in ('convened','held','missed'))
);
--> statement-breakpoint
ALTER TABLE "workflow_starts" DROP CONSTRAINT "workflow_starts_kind_ck";--> statement-breakpoint
ALTER TABLE "ctas" ALTER COLUMN "client_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "credit_gates" ADD CONSTRAINT "credit_gates_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "defense_loop_intakes" ADD CONSTRAINT "defense_loop_intakes_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credit_gates_open_uq" ON "credit_gates" USING btree ("rule_id",coalesce("person_id", ''),coalesce("segment", '')) WHERE "credit_gates"."closed_at" is null;--> statement-breakpoint
CREATE INDEX "governance_sessions_routine_idx" ON "governance_sessions" USING btree ("routine","scheduled_for");--> statement-breakpoint
ALTER TABLE "workflow_starts" ADD CONSTRAINT "workflow_starts_kind_ck" CHECK ("workflow_starts"."kind" in ('placement-review','cta-clock','initiative','proposal','planning-loop','health','risk','capacity-gap'));