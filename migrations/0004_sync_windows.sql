ALTER TABLE `sync_cursors` ADD `pending_end` integer;--> statement-breakpoint
ALTER TABLE `sync_cursors` ADD `delivered` integer DEFAULT 0 NOT NULL;