CREATE TABLE "client_access" (
	"client_id" text NOT NULL,
	"system" text NOT NULL,
	"granted_at" timestamp with time zone,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "client_access_client_id_system_pk" PRIMARY KEY("client_id","system")
);
--> statement-breakpoint
CREATE TABLE "client_stakeholders" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"name" text NOT NULL,
	"title" text,
	"email" text,
	"roles" jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"deactivated_at" timestamp with time zone,
	"deactivation_reason" text,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "client_stakeholders_roles_ck" CHECK (jsonb_typeof("client_stakeholders"."roles") = 'array' and jsonb_array_length("client_stakeholders"."roles") > 0)
);
--> statement-breakpoint
ALTER TABLE "client_access" ADD CONSTRAINT "client_access_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "client_stakeholders" ADD CONSTRAINT "client_stakeholders_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "client_stakeholders_client_idx" ON "client_stakeholders" USING btree ("client_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "client_stakeholders_email_uq" ON "client_stakeholders" USING btree ("client_id",lower("email")) WHERE "client_stakeholders"."active" and "client_stakeholders"."email" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "client_stakeholders_sponsor_uq" ON "client_stakeholders" USING btree ("client_id") WHERE "client_stakeholders"."active" and "client_stakeholders"."roles" ? 'executiveSponsor';--> statement-breakpoint
-- Issue 9: the stakeholders listed on each client become rows of client_stakeholders (active).
-- A second person with the same email, or a second executive sponsor, at one client (the old list
-- did not forbid them) is kept but inactive, so the new unique indexes hold.
INSERT INTO "client_stakeholders" ("id", "client_id", "name", "title", "email", "roles", "active", "deactivated_at", "deactivation_reason", "created_at", "updated_at")
SELECT gen_random_uuid()::text, x.client_id, x.name, x.title, x.email, x.roles, x.keep,
	CASE WHEN x.keep THEN NULL ELSE x.updated_at END,
	CASE WHEN x.keep THEN NULL ELSE 'duplicate email or second executive sponsor in the former clients.stakeholders list' END,
	x.created_at, x.updated_at
FROM (
	SELECT y.*, (y.email_rank = 1 AND (NOT y.sponsor OR y.sponsor_rank = 1)) AS keep
	FROM (
		SELECT c.id AS client_id, c.created_at, c.updated_at,
			coalesce(nullif(trim(s.value->>'name'), ''), 'unnamed') AS name,
			nullif(s.value->>'title', '') AS title,
			nullif(s.value->>'email', '') AS email,
			CASE WHEN jsonb_typeof(s.value->'roles') = 'array' AND jsonb_array_length(s.value->'roles') > 0 THEN s.value->'roles' ELSE '["other"]'::jsonb END AS roles,
			coalesce(s.value->'roles' ? 'executiveSponsor', false) AS sponsor,
			row_number() OVER (PARTITION BY c.id, coalesce(lower(nullif(s.value->>'email', '')), s.ordinality::text) ORDER BY s.ordinality) AS email_rank,
			row_number() OVER (PARTITION BY c.id, coalesce(s.value->'roles' ? 'executiveSponsor', false) ORDER BY s.ordinality) AS sponsor_rank
		FROM "clients" c CROSS JOIN LATERAL jsonb_array_elements(c."stakeholders") WITH ORDINALITY AS s(value, ordinality)
		WHERE jsonb_typeof(c."stakeholders") = 'array'
	) y
) x;
--> statement-breakpoint
ALTER TABLE "clients" DROP COLUMN "stakeholders";