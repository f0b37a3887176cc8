CREATE TABLE `training_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`kind` text NOT NULL,
	`owner_id` text NOT NULL,
	`status` text NOT NULL,
	`requested_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`claimed_by` text,
	`heartbeat_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`message` text,
	`error` text,
	`model_id` text,
	`model_version` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `training_jobs_project` ON `training_jobs` (`project_id`,`requested_at`);--> statement-breakpoint
CREATE INDEX `training_jobs_claimable` ON `training_jobs` (`status`,`requested_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `training_jobs_one_active` ON `training_jobs` (`project_id`,`owner_id`) WHERE status IN ('queued', 'running');