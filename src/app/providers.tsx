"use client";

import type { ReactNode } from "react";
import { ThemeProvider } from "@/components/theme/theme-provider";
import { Toaster } from "@/components/ui/toaster";
import { TRPCReactProvider } from "@/lib/trpc/client";

export function Providers({ children }: { children: ReactNode }) {
  return (
    <ThemeProvider>
      <TRPCReactProvider>
        <Toaster>{children}</Toaster>
      </TRPCReactProvider>
    </ThemeProvider>
  );
}
