import { projectPath } from "./layout";

/** A profile key (`u:…`, `d:…`) as a link to its user lookup; keys that name no profile stay text. */
export function ProfileLink({ project, profileKey }: { project: string; profileKey: string }) {
  const idType = profileKey.startsWith("u:") ? "user_id" : profileKey.startsWith("d:") ? "device_id" : null;
  if (idType === null) return <code>{profileKey}</code>;
  return (
    <a href={`${projectPath(project, "/users")}?id_type=${idType}&id=${encodeURIComponent(profileKey.slice(2))}`}>
      <code>{profileKey}</code>
    </a>
  );
}
