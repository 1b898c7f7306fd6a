ALTER TABLE "clients" ADD COLUMN "region" text;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "public_holiday_exceptions" jsonb DEFAULT '[]'::jsonb NOT NULL;