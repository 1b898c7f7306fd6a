CREATE TABLE "msgraph_subscriptions" (
	"connector_id" text NOT NULL,
	"mailbox" text NOT NULL,
	"subscription_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "msgraph_subscriptions_connector_id_mailbox_pk" PRIMARY KEY("connector_id","mailbox")
);
--> statement-breakpoint
ALTER TABLE "connectors" DROP CONSTRAINT "connectors_type_ck";--> statement-breakpoint
ALTER TABLE "workflow_starts" DROP CONSTRAINT "workflow_starts_kind_ck";--> statement-breakpoint
ALTER TABLE "msgraph_subscriptions" ADD CONSTRAINT "msgraph_subscriptions_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "msgraph_subscriptions_id_idx" ON "msgraph_subscriptions" USING btree ("subscription_id");--> statement-breakpoint
ALTER TABLE "connectors" ADD CONSTRAINT "connectors_type_ck" CHECK ("connectors"."type" in ('connectwise','autotask','halopsa','msgraph'));--> statement-breakpoint
ALTER TABLE "workflow_starts" ADD CONSTRAINT "workflow_starts_kind_ck" CHECK ("workflow_starts"."kind" in ('placement-review','cta-clock','initiative','proposal','planning-loop','health','risk','capacity-gap','delivery','upsell','connector-poller','msgraph-subscriptions'));