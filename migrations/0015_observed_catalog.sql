CREATE TABLE `observed_names` (
	`project_id` text NOT NULL,
	`kind` text NOT NULL,
	`event_type` text NOT NULL,
	`name` text NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`seen` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `kind`, `event_type`, `name`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `observed_values` (
	`project_id` text NOT NULL,
	`kind` text NOT NULL,
	`event_type` text NOT NULL,
	`name` text NOT NULL,
	`value` text NOT NULL,
	`last_seen` integer NOT NULL,
	`seen` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `kind`, `event_type`, `name`, `value`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
