CREATE TABLE `rec_exposures` (
	`project_id` text NOT NULL,
	`rec_id` text NOT NULL,
	`profile_key` text NOT NULL,
	`variant` text NOT NULL,
	`source` text NOT NULL,
	`model_id` text NOT NULL,
	`exposed_at` integer NOT NULL,
	`closes_at` integer NOT NULL,
	`conversions` integer DEFAULT 0 NOT NULL,
	`converted_at` integer,
	`value` real DEFAULT 0 NOT NULL,
	`final` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`rec_id`, `profile_key`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `rec_exposures_report` ON `rec_exposures` (`project_id`,`rec_id`,`variant`);--> statement-breakpoint
CREATE INDEX `rec_exposures_profile` ON `rec_exposures` (`project_id`,`profile_key`);