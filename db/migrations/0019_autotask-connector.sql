ALTER TABLE "connectors" DROP CONSTRAINT "connectors_type_ck";--> statement-breakpoint
ALTER TABLE "workflow_starts" DROP CONSTRAINT "workflow_starts_kind_ck";--> statement-breakpoint
ALTER TABLE "connectors" ADD CONSTRAINT "connectors_type_ck" CHECK ("connectors"."type" in ('connectwise','autotask'));--> statement-breakpoint
ALTER TABLE "workflow_starts" ADD CONSTRAINT "workflow_starts_kind_ck" CHECK ("workflow_starts"."kind" in ('placement-review','cta-clock','initiative','proposal','planning-loop','health','risk','capacity-gap','delivery','upsell','connector-poller'));