CREATE TABLE "assessments" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"status" text DEFAULT 'designed' NOT NULL,
	"template" text NOT NULL,
	"scope" text NOT NULL,
	"owner_role" text NOT NULL,
	"requirement" text NOT NULL,
	"discovery_id" text,
	"categories" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"findings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"adoption" jsonb,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assessments_status_ck" CHECK ("assessments"."status" in ('designed','completed')),
	CONSTRAINT "assessments_scope_ck" CHECK ("assessments"."scope" in ('portfolio','singleProject','riskTargeted'))
);
--> statement-breakpoint
CREATE TABLE "backlog_items" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"title" text NOT NULL,
	"meeting_id" text NOT NULL,
	"owner_role" text,
	"next_cadence" boolean DEFAULT true NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backlog_items_status_ck" CHECK ("backlog_items"."status" in ('open','scheduled','closed'))
);
--> statement-breakpoint
CREATE TABLE "budget_actuals" (
	"client_id" text NOT NULL,
	"quarter" text NOT NULL,
	"actual_usd" numeric(14, 2) NOT NULL,
	"note" text,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "budget_actuals_client_id_quarter_pk" PRIMARY KEY("client_id","quarter")
);
--> statement-breakpoint
CREATE TABLE "budget_lines" (
	"budget_version_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"initiative_id" text NOT NULL,
	"quarter" text NOT NULL,
	"amount_usd" numeric(14, 2) NOT NULL,
	"spend_type" text,
	"decision_flag" boolean DEFAULT false NOT NULL,
	"pre_approval_id" text,
	"label" text,
	CONSTRAINT "budget_lines_budget_version_id_line_no_pk" PRIMARY KEY("budget_version_id","line_no")
);
--> statement-breakpoint
CREATE TABLE "budget_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"version" integer NOT NULL,
	"note" text NOT NULL,
	"source" text NOT NULL,
	"source_ref" text,
	"format" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "delivered_reports" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"title" text NOT NULL,
	"format" text NOT NULL,
	"owner_role" text NOT NULL,
	"contact_stakeholder_id" text,
	"url" text,
	"delivered_at" timestamp with time zone NOT NULL,
	"opened_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "discoveries" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"status" text DEFAULT 'planned' NOT NULL,
	"owner_role" text NOT NULL,
	"format" text NOT NULL,
	"scheduled_for" date,
	"pre_work" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"notes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"insights" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"goal_rescore" jsonb,
	"next_engagement_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"recap_due_at" timestamp with time zone,
	"recap_sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "discoveries_status_ck" CHECK ("discoveries"."status" in ('planned','completed'))
);
--> statement-breakpoint
CREATE TABLE "initiatives" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"title" text NOT NULL,
	"what_why_now" text,
	"source_kind" text NOT NULL,
	"source_ref" text,
	"source_date" date NOT NULL,
	"goal_link" text,
	"quarter" text NOT NULL,
	"lane" text NOT NULL,
	"expected_outcome" text,
	"dependencies" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"cost_band" jsonb,
	"spend_type" text,
	"owners" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"state" text NOT NULL,
	"state_changed_at" timestamp with time zone NOT NULL,
	"flags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tier" integer DEFAULT 1 NOT NULL,
	"remediation" boolean DEFAULT false NOT NULL,
	"parked" jsonb,
	"approved_at" timestamp with time zone,
	"approval" jsonb,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "initiatives_state_ck" CHECK ("initiatives"."state" in ('Identified','Qualified','PreApproved','Proposed','Approved','InDelivery','Delivered','Verified','Parked','Declined','Cancelled')),
	CONSTRAINT "initiatives_lane_ck" CHECK ("initiatives"."lane" in ('Stability','Efficiency','Growth','Innovation')),
	CONSTRAINT "initiatives_tier_ck" CHECK ("initiatives"."tier" in (1,2))
);
--> statement-breakpoint
CREATE TABLE "planning_marks" (
	"subject" text NOT NULL,
	"key" text NOT NULL,
	"handled_at" timestamp with time zone NOT NULL,
	CONSTRAINT "planning_marks_subject_key_pk" PRIMARY KEY("subject","key")
);
--> statement-breakpoint
CREATE TABLE "pre_approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"initiative_id" text NOT NULL,
	"owner" jsonb NOT NULL,
	"quarter" text NOT NULL,
	"min_usd" numeric(14, 2) NOT NULL,
	"max_usd" numeric(14, 2) NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"logged_at" timestamp with time zone NOT NULL,
	"reengaged_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "pre_approvals_status_ck" CHECK ("pre_approvals"."status" in ('active','used','expired','superseded','withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "price_tests" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"initiative_id" text NOT NULL,
	"owner" jsonb NOT NULL,
	"quarter" text NOT NULL,
	"min_usd" numeric(14, 2) NOT NULL,
	"max_usd" numeric(14, 2) NOT NULL,
	"outcome" text NOT NULL,
	"reason" text,
	"note" text,
	"logged_at" timestamp with time zone NOT NULL,
	CONSTRAINT "price_tests_outcome_ck" CHECK ("price_tests"."outcome" in ('viable','notNow'))
);
--> statement-breakpoint
CREATE TABLE "proposals" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"initiative_id" text NOT NULL,
	"version" integer NOT NULL,
	"previous_id" text,
	"status" text DEFAULT 'draft' NOT NULL,
	"eds" jsonb NOT NULL,
	"format" text NOT NULL,
	"remediation_risk_id" text,
	"sent_at" timestamp with time zone,
	"bucket" text,
	"reengaged_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"decision" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "proposals_status_ck" CHECK ("proposals"."status" in ('draft','sent','accepted','declined','expired','withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "roadmap_items" (
	"roadmap_version_id" text NOT NULL,
	"item_no" integer NOT NULL,
	"initiative_id" text NOT NULL,
	"proposal_id" text,
	"quarter" text NOT NULL,
	"lane" text NOT NULL,
	"big_rock" boolean DEFAULT false NOT NULL,
	"note" text,
	CONSTRAINT "roadmap_items_roadmap_version_id_item_no_pk" PRIMARY KEY("roadmap_version_id","item_no")
);
--> statement-breakpoint
CREATE TABLE "roadmap_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"version" integer NOT NULL,
	"note" text NOT NULL,
	"source" text NOT NULL,
	"source_ref" text,
	"changed" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow_starts" DROP CONSTRAINT "workflow_starts_kind_ck";--> statement-breakpoint
ALTER TABLE "assessments" ADD CONSTRAINT "assessments_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backlog_items" ADD CONSTRAINT "backlog_items_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_actuals" ADD CONSTRAINT "budget_actuals_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_lines" ADD CONSTRAINT "budget_lines_budget_version_id_budget_versions_id_fk" FOREIGN KEY ("budget_version_id") REFERENCES "public"."budget_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_lines" ADD CONSTRAINT "budget_lines_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_versions" ADD CONSTRAINT "budget_versions_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivered_reports" ADD CONSTRAINT "delivered_reports_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "discoveries" ADD CONSTRAINT "discoveries_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "initiatives" ADD CONSTRAINT "initiatives_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pre_approvals" ADD CONSTRAINT "pre_approvals_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pre_approvals" ADD CONSTRAINT "pre_approvals_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_tests" ADD CONSTRAINT "price_tests_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_tests" ADD CONSTRAINT "price_tests_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roadmap_items" ADD CONSTRAINT "roadmap_items_roadmap_version_id_roadmap_versions_id_fk" FOREIGN KEY ("roadmap_version_id") REFERENCES "public"."roadmap_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roadmap_items" ADD CONSTRAINT "roadmap_items_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roadmap_versions" ADD CONSTRAINT "roadmap_versions_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assessments_client_idx" ON "assessments" USING btree ("client_id","created_at");--> statement-breakpoint
CREATE INDEX "backlog_items_client_idx" ON "backlog_items" USING btree ("client_id","created_at");--> statement-breakpoint
CREATE INDEX "budget_lines_initiative_idx" ON "budget_lines" USING btree ("initiative_id");--> statement-breakpoint
CREATE UNIQUE INDEX "budget_versions_client_version_uq" ON "budget_versions" USING btree ("client_id","version");--> statement-breakpoint
CREATE INDEX "delivered_reports_client_idx" ON "delivered_reports" USING btree ("client_id","delivered_at");--> statement-breakpoint
CREATE INDEX "discoveries_client_idx" ON "discoveries" USING btree ("client_id","created_at");--> statement-breakpoint
CREATE INDEX "initiatives_client_idx" ON "initiatives" USING btree ("client_id","state");--> statement-breakpoint
CREATE INDEX "pre_approvals_client_idx" ON "pre_approvals" USING btree ("client_id","initiative_id");--> statement-breakpoint
CREATE INDEX "price_tests_client_idx" ON "price_tests" USING btree ("client_id","initiative_id");--> statement-breakpoint
CREATE UNIQUE INDEX "proposals_initiative_version_uq" ON "proposals" USING btree ("initiative_id","version");--> statement-breakpoint
CREATE INDEX "proposals_client_idx" ON "proposals" USING btree ("client_id","status");--> statement-breakpoint
CREATE INDEX "roadmap_items_initiative_idx" ON "roadmap_items" USING btree ("initiative_id");--> statement-breakpoint
CREATE UNIQUE INDEX "roadmap_versions_client_version_uq" ON "roadmap_versions" USING btree ("client_id","version");--> statement-breakpoint
ALTER TABLE "workflow_starts" ADD CONSTRAINT "workflow_starts_kind_ck" CHECK ("workflow_starts"."kind" in ('placement-review','cta-clock','initiative','proposal','planning-loop'));