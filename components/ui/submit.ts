import type { FormEvent } from "react";

/**
 * Submits a form's values without letting React reset it: after a refused
 * submission the admin corrects one field instead of retyping them all.
 */
export function handleSubmit(handler: (form: FormData) => void) {
  return (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    handler(new FormData(event.currentTarget));
  };
}
