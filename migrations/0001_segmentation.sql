CREATE TABLE `backfill_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`definitions_version` integer NOT NULL,
	`status` text NOT NULL,
	`cursor` text DEFAULT '' NOT NULL,
	`processed` integer DEFAULT 0 NOT NULL,
	`total` integer NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `backfill_jobs_project` ON `backfill_jobs` (`project_id`,`started_at`);--> statement-breakpoint
ALTER TABLE `projects` ADD `definitions_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `membership_changes_once` ON `membership_changes` (`cohort_id`,`profile_key`,`changed_at`,`in_cohort`);