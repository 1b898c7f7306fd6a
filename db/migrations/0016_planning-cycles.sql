CREATE TABLE "planning_cycles" (
	"client_id" text NOT NULL,
	"fiscal_year" integer NOT NULL,
	"workflow_id" text NOT NULL,
	"segment" text NOT NULL,
	"stage" text NOT NULL,
	"current_step" text,
	"planned_hours" numeric(6, 2) NOT NULL,
	"actual_hours" numeric(6, 2) DEFAULT 0 NOT NULL,
	"gaps" integer DEFAULT 0 NOT NULL,
	"outputs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"m1_starts_at" timestamp with time zone NOT NULL,
	"final_starts_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "planning_cycles_client_id_fiscal_year_pk" PRIMARY KEY("client_id","fiscal_year")
);
--> statement-breakpoint
ALTER TABLE "planning_cycles" ADD CONSTRAINT "planning_cycles_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "planning_cycles_stage_idx" ON "planning_cycles" USING btree ("stage","client_id","fiscal_year");