export * from "./projects";
export * from "./users";
export * from "./definitions";
export * from "./membership";
export * from "./syncs";
export * from "./jobs";
export * from "./privacy";
export * from "./training";
