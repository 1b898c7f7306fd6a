CREATE TABLE "client_health" (
	"client_id" text PRIMARY KEY NOT NULL,
	"evaluated_at" timestamp with time zone NOT NULL,
	"occasion" text NOT NULL,
	"policy_version" integer NOT NULL,
	"composite_score" numeric(5, 2),
	"composite_colour" text,
	"scores" jsonb NOT NULL,
	"credit" jsonb NOT NULL,
	"pause" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credit_decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"source" text NOT NULL,
	"title" text NOT NULL,
	"verdict" text NOT NULL,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"meeting_id" text,
	"initiative_id" text,
	"decided_at" timestamp with time zone NOT NULL,
	"released_at" timestamp with time zone,
	"released_month" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "credit_decisions_verdict_ck" CHECK ("credit_decisions"."verdict" in ('counted','deferred','released','notCredited','stabilityWork'))
);
--> statement-breakpoint
CREATE TABLE "health_inputs" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"kind" text NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "health_inputs_kind_ck" CHECK ("health_inputs"."kind" in ('pulse','complaint','dmi','serviceMetrics','alignment'))
);
--> statement-breakpoint
CREATE TABLE "health_snapshots" (
	"client_id" text NOT NULL,
	"month" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"composite_score" numeric(5, 2),
	"composite_colour" text,
	"scores" jsonb NOT NULL,
	"credit" jsonb NOT NULL,
	"pause" jsonb NOT NULL,
	"red_streaks" jsonb NOT NULL,
	CONSTRAINT "health_snapshots_client_id_month_pk" PRIMARY KEY("client_id","month")
);
--> statement-breakpoint
CREATE TABLE "risks" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"bucket" text NOT NULL,
	"severity" text NOT NULL,
	"impact" integer NOT NULL,
	"likelihood" integer NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"trigger" text NOT NULL,
	"rule_id" text NOT NULL,
	"source" jsonb NOT NULL,
	"first_action_cta_id" text,
	"repeat_of" text,
	"opened_at" timestamp with time zone NOT NULL,
	"ack_due_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"save_plan_due_at" timestamp with time zone,
	"save_plan_at" timestamp with time zone,
	"reengage_due_at" timestamp with time zone,
	"reengage_held_at" timestamp with time zone,
	"last_movement_at" timestamp with time zone,
	"escalated_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"after_action_due_at" timestamp with time zone,
	"after_action_at" timestamp with time zone,
	"evidence_count" integer DEFAULT 0 NOT NULL,
	"actions_total" integer DEFAULT 0 NOT NULL,
	"actions_done" integer DEFAULT 0 NOT NULL,
	"actions_on_time" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "risks_bucket_ck" CHECK ("risks"."bucket" in ('Service','Delivery','Strategic','Financial')),
	CONSTRAINT "risks_severity_ck" CHECK ("risks"."severity" in ('High','Medium','Low')),
	CONSTRAINT "risks_status_ck" CHECK ("risks"."status" in ('open','closed'))
);
--> statement-breakpoint
ALTER TABLE "workflow_starts" DROP CONSTRAINT "workflow_starts_kind_ck";--> statement-breakpoint
ALTER TABLE "client_health" ADD CONSTRAINT "client_health_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_decisions" ADD CONSTRAINT "credit_decisions_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "health_inputs" ADD CONSTRAINT "health_inputs_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "health_snapshots" ADD CONSTRAINT "health_snapshots_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risks" ADD CONSTRAINT "risks_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "client_health_colour_idx" ON "client_health" USING btree ("composite_colour");--> statement-breakpoint
CREATE INDEX "credit_decisions_client_idx" ON "credit_decisions" USING btree ("client_id","verdict");--> statement-breakpoint
CREATE INDEX "health_inputs_client_kind_idx" ON "health_inputs" USING btree ("client_id","kind","observed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "risks_open_bucket_uq" ON "risks" USING btree ("client_id","bucket") WHERE "risks"."status" = 'open';--> statement-breakpoint
CREATE INDEX "risks_client_idx" ON "risks" USING btree ("client_id","opened_at");--> statement-breakpoint
CREATE INDEX "risks_status_idx" ON "risks" USING btree ("status","opened_at");--> statement-breakpoint
ALTER TABLE "workflow_starts" ADD CONSTRAINT "workflow_starts_kind_ck" CHECK ("workflow_starts"."kind" in ('placement-review','cta-clock','initiative','proposal','planning-loop','health','risk'));