"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { errorMessage, useTRPC } from "@/lib/trpc/client";

/** Only same-site paths are followed after login, so a crafted link cannot bounce users elsewhere. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/instances";
}

export function LoginForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const params = useSearchParams();
  const id = useId();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");

  // Someone already logged in has no business on this form.
  const me = useQuery(trpc.auth.me.queryOptions());
  useEffect(() => {
    if (me.data) router.replace(safeNext(params.get("next")));
  }, [me.data, router, params]);

  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: () => {
        // Nothing cached under a previous session may leak into this one.
        queryClient.clear();
        router.replace(safeNext(params.get("next")));
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    login.mutate({ username: username.trim(), password });
  }

  return (
    // method="post" keeps credentials out of the URL should the form ever submit before hydration.
    <form method="post" onSubmit={submit} className="space-y-4">
      {login.isError && <ErrorAlert>{errorMessage(login.error)}</ErrorAlert>}
      <FormField id={`${id}-username`} label="Username">
        <input
          id={`${id}-username`}
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          className={INPUT_CLASS}
        />
      </FormField>
      <FormField id={`${id}-password`} label="Password">
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          className={INPUT_CLASS}
        />
      </FormField>
      <Button type="submit" variant="primary" className="w-full" disabled={login.isPending}>
        {login.isPending ? "Logging in…" : "Log in"}
      </Button>
    </form>
  );
}
