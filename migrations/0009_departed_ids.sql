CREATE TABLE `departed_ids` (
	`sync_id` text NOT NULL,
	`profile_key` text NOT NULL,
	`destination_user_id` text NOT NULL,
	`erased_at` integer NOT NULL,
	PRIMARY KEY(`sync_id`, `profile_key`)
);
