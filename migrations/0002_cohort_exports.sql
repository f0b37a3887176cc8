CREATE TABLE `cohort_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`cohort_id` text NOT NULL,
	`with_props` integer NOT NULL,
	`prop_keys` text NOT NULL,
	`status` text NOT NULL,
	`rows` integer,
	`error` text,
	`created_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `cohort_exports_project` ON `cohort_exports` (`project_id`,`created_at`);