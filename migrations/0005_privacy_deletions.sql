CREATE TABLE `deletion_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`status` text NOT NULL,
	`phase` text DEFAULT 'profiles' NOT NULL,
	`requester` text,
	`targets` text NOT NULL,
	`skipped` text NOT NULL,
	`cursor` text DEFAULT '' NOT NULL,
	`objects_scanned` integer DEFAULT 0 NOT NULL,
	`objects_rewritten` integer DEFAULT 0 NOT NULL,
	`lines_removed` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deletion_jobs_project` ON `deletion_jobs` (`project_id`,`created_at`);