CREATE TABLE "upsells" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"initiative_id" text NOT NULL,
	"title" text NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"signal_date" date NOT NULL,
	"lane" text NOT NULL,
	"urgency" text NOT NULL,
	"dependency" text,
	"risk_reduction" boolean DEFAULT false NOT NULL,
	"state" text NOT NULL,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "upsells_state_ck" CHECK ("upsells"."state" in ('signalLogged','priceTested','preApproved','proposed','approved','declined','resequenced')),
	CONSTRAINT "upsells_lane_ck" CHECK ("upsells"."lane" in ('OpEx','CapEx'))
);
--> statement-breakpoint
ALTER TABLE "workflow_starts" DROP CONSTRAINT "workflow_starts_kind_ck";--> statement-breakpoint
ALTER TABLE "upsells" ADD CONSTRAINT "upsells_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upsells" ADD CONSTRAINT "upsells_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "upsells_client_idx" ON "upsells" USING btree ("client_id","state");--> statement-breakpoint
ALTER TABLE "workflow_starts" ADD CONSTRAINT "workflow_starts_kind_ck" CHECK ("workflow_starts"."kind" in ('placement-review','cta-clock','initiative','proposal','planning-loop','health','risk','capacity-gap','delivery','upsell'));