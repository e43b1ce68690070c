import { validateChat } from "../validate.ts";
import type { ClientCodec } from "./types.ts";

/** The OpenAI chat dialect: requests and completions pass through as the providers speak it. */
export const openaiCodec: ClientCodec = {
  dialect: "openai",
  chatPaths: (template) => [{ template }],
  toChat: (body) => validateChat(body),
  fromCompletion: (completion, model) => ({ ...completion, model }),
  encoder: (model) => ({
    open: () => "",
    chunk: (c) => `data: ${JSON.stringify({ ...c, model })}\n\n`,
    close: () => "data: [DONE]\n\n",
    // OpenAI's own failing streams end with an error object and no [DONE].
    error: (body) => `data: ${JSON.stringify(body)}\n\n`,
  }),
  models: (ids) => ({
    object: "list",
    data: ids.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "faultline" })),
  }),
  altAuth: [],
};
