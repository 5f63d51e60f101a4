/**
 * The LLM review engine of the code-analysis example. A provider is anything with a
 * `review(prompt, signal)` method; the one below talks to an OpenAI-compatible chat
 * completions endpoint when RUBBERDUCK_LLM_URL is set (with RUBBERDUCK_LLM_KEY and
 * RUBBERDUCK_LLM_MODEL). Without a provider the review is skipped.
 *
 * @example
 * RUBBERDUCK_LLM_URL=http://localhost:11434/v1 RUBBERDUCK_LLM_MODEL=llama3.1 \
 *   npx rubberduck run examples/code-analysis.ts
 */

export interface LlmProvider {
  readonly name: string;
  review(prompt: string, signal: AbortSignal): Promise<string>;
}

export interface LlmInsights {
  readonly provider: string | undefined;
  /** Why there is no review, when there is none. */
  readonly skipped: string | undefined;
  readonly review: string | undefined;
}

/** The provider configured by the environment, if any. */
export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): LlmProvider | undefined {
  const url = env.RUBBERDUCK_LLM_URL;
  if (url === undefined || url === "") return undefined;
  const model = env.RUBBERDUCK_LLM_MODEL ?? "gpt-4o-mini";
  return {
    name: `${model} at ${url}`,
    async review(prompt, signal) {
      const response = await fetch(`${url.replace(/\/$/, "")}/chat/completions`, {
        method: "POST",
        signal,
        headers: {
          "content-type": "application/json",
          ...(env.RUBBERDUCK_LLM_KEY ? { authorization: `Bearer ${env.RUBBERDUCK_LLM_KEY}` } : {}),
        },
        body: JSON.stringify({ model, messages: [{ role: "user", content: prompt }] }),
      });
      if (!response.ok) throw new Error(`LLM provider answered ${response.status} ${response.statusText}`);
      const body = (await response.json()) as { choices?: { message?: { content?: string } }[] };
      return body.choices?.[0]?.message?.content ?? "";
    },
  };
}
