CREATE TABLE `sync_values` (
	`sync_id` text NOT NULL,
	`profile_key` text NOT NULL,
	`digest` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`sync_id`, `profile_key`)
);
