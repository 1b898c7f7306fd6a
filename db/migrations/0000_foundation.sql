CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_role_ck" CHECK ("api_keys"."role" in ('admin','ops','automation','manager'))
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"external_ref" text,
	"mrr" numeric(12, 2) NOT NULL,
	"maturity" integer NOT NULL,
	"appetite" integer NOT NULL,
	"owns_innovation_agenda" boolean DEFAULT false NOT NULL,
	"segment" text NOT NULL,
	"goal_level" integer NOT NULL,
	"archetype" text NOT NULL,
	"mrr_tier" text NOT NULL,
	"touch_tier" text NOT NULL,
	"segment_rule_ids" jsonb NOT NULL,
	"segment_source" text DEFAULT 'computed' NOT NULL,
	"segment_override" jsonb,
	"placement_policy_version" integer NOT NULL,
	"time_zone" text NOT NULL,
	"holidays" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"renewal_date" date,
	"fiscal_year_end" text DEFAULT '12-31' NOT NULL,
	"stakeholders" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"policy_overrides" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "clients_maturity_ck" CHECK ("clients"."maturity" between 1 and 5),
	CONSTRAINT "clients_appetite_ck" CHECK ("clients"."appetite" between 1 and 5),
	CONSTRAINT "clients_segment_ck" CHECK ("clients"."segment" in ('A','B','C','D'))
);
--> statement-breakpoint
CREATE TABLE "ctas" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"process" text NOT NULL,
	"workflow_id" text,
	"kind" text NOT NULL,
	"rule_id" text NOT NULL,
	"owner_role" text NOT NULL,
	"owner_person_id" text,
	"state" text DEFAULT 'open' NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"first_action_due_at" timestamp with time zone NOT NULL,
	"first_action_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ctas_state_ck" CHECK ("ctas"."state" in ('open','first_action','done','escalated','reassigned','cancelled'))
);
--> statement-breakpoint
CREATE TABLE "events" (
	"seq" bigserial NOT NULL,
	"id" text PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"client_id" text,
	"process" text NOT NULL,
	"workflow_id" text,
	"type" text NOT NULL,
	"rule_id" text,
	"why" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"actor" jsonb NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "events_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
CREATE TABLE "idempotency_records" (
	"principal_id" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"status" integer,
	"response_body" text,
	"response_content_type" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "idempotency_records_principal_id_key_pk" PRIMARY KEY("principal_id","key")
);
--> statement-breakpoint
CREATE TABLE "meetings" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"process" text NOT NULL,
	"workflow_id" text,
	"kind" text NOT NULL,
	"mode" text NOT NULL,
	"state" text DEFAULT 'scheduled' NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"accountable_person_id" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "people" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"roles" jsonb NOT NULL,
	"weekly_capacity_hours" numeric(5, 1) DEFAULT 40 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"version" integer PRIMARY KEY NOT NULL,
	"document" jsonb NOT NULL,
	"note" text NOT NULL,
	"published_by" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "role_assignments" (
	"client_id" text NOT NULL,
	"role" text NOT NULL,
	"person_id" text NOT NULL,
	"backup_person_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "role_assignments_client_id_role_pk" PRIMARY KEY("client_id","role"),
	CONSTRAINT "role_assignments_backup_ck" CHECK ("role_assignments"."backup_person_id" is null or "role_assignments"."backup_person_id" <> "role_assignments"."person_id")
);
--> statement-breakpoint
ALTER TABLE "ctas" ADD CONSTRAINT "ctas_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ctas" ADD CONSTRAINT "ctas_owner_person_id_people_id_fk" FOREIGN KEY ("owner_person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_accountable_person_id_people_id_fk" FOREIGN KEY ("accountable_person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_backup_person_id_people_id_fk" FOREIGN KEY ("backup_person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_uq" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE UNIQUE INDEX "clients_external_ref_uq" ON "clients" USING btree ("external_ref");--> statement-breakpoint
CREATE INDEX "clients_segment_idx" ON "clients" USING btree ("segment");--> statement-breakpoint
CREATE INDEX "ctas_owner_state_idx" ON "ctas" USING btree ("owner_person_id","state");--> statement-breakpoint
CREATE INDEX "ctas_client_idx" ON "ctas" USING btree ("client_id");--> statement-breakpoint
CREATE INDEX "events_client_seq_idx" ON "events" USING btree ("client_id","seq");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type");--> statement-breakpoint
CREATE INDEX "meetings_client_starts_idx" ON "meetings" USING btree ("client_id","starts_at");--> statement-breakpoint
CREATE UNIQUE INDEX "people_email_uq" ON "people" USING btree (lower("email"));