CREATE TABLE `served_outcomes` (
	`project_id` text NOT NULL,
	`owner_kind` text NOT NULL,
	`owner_id` text NOT NULL,
	`model_id` text NOT NULL,
	`profile_key` text NOT NULL,
	`opened_at` integer NOT NULL,
	`closes_at` integer NOT NULL,
	`source` text,
	`score` real,
	`outcome` integer,
	`loss` real,
	`relevant` integer,
	`ndcg` real,
	`resolved_at` integer,
	PRIMARY KEY(`owner_id`, `profile_key`, `opened_at`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `served_outcomes_model` ON `served_outcomes` (`project_id`,`owner_id`,`model_id`);--> statement-breakpoint
CREATE INDEX `served_outcomes_profile` ON `served_outcomes` (`project_id`,`profile_key`);