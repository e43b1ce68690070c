import { sendJson } from "../respond.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a gateway that papers over total failure with an empty success.
export default defineMutant({
  id: "exhaustion_200",
  family: "exhaustion",
  expectedCheck: "EXH-001",
  summary: "exhaustion answered 200 with an empty completion",
  policy: {
    answerExhausted: (c, chat) =>
      sendJson(c.reply, 200, {
        id: `chatcmpl-${c.reply.requestId}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: chat.model,
        choices: [],
      }),
  },
});
