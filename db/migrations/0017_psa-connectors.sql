CREATE TABLE "connector_links" (
	"connector_id" text NOT NULL,
	"kind" text NOT NULL,
	"baton_id" text NOT NULL,
	"vendor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connector_links_connector_id_kind_baton_id_pk" PRIMARY KEY("connector_id","kind","baton_id")
);
--> statement-breakpoint
CREATE TABLE "connectors" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"base_url" text NOT NULL,
	"credentials_sealed" text NOT NULL,
	"settings" jsonb NOT NULL,
	"mappings" jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connectors_type_ck" CHECK ("connectors"."type" in ('connectwise'))
);
--> statement-breakpoint
CREATE TABLE "inbound_events" (
	"connector_id" text NOT NULL,
	"event_key" text NOT NULL,
	"entity" text NOT NULL,
	"outcome" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbound_events_connector_id_event_key_pk" PRIMARY KEY("connector_id","event_key")
);
--> statement-breakpoint
ALTER TABLE "connector_links" ADD CONSTRAINT "connector_links_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_events" ADD CONSTRAINT "inbound_events_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "connector_links_vendor_idx" ON "connector_links" USING btree ("connector_id","kind","vendor_id");