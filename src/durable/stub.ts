import { profileObjectName, type ProfileRef } from "../core/event";
import type { UserProfileRpc } from "./rpc";

/** The Durable Object of one profile of one project. */
export function profileStub(env: Pick<Env, "USER_PROFILE">, projectId: string, ref: ProfileRef): UserProfileRpc {
  return env.USER_PROFILE.getByName(profileObjectName(projectId, ref)) as unknown as UserProfileRpc;
}
