import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { EVENT_LABELS, NOTIFICATION_EVENT_TYPES } from "@/lib/notifications/events";

export type WebhookFormValues = { name: string; url: string; events: string[]; format: "STANDARD" | "SLACK" };

/** Reads the fields below from a submitted form. */
export function webhookValuesFrom(form: FormData): WebhookFormValues {
  return {
    name: String(form.get("name") ?? ""),
    url: String(form.get("url") ?? ""),
    events: form.getAll("events").map(String),
    format: form.get("format") === "SLACK" ? "SLACK" : "STANDARD",
  };
}

/** Name, URL, body format and event types of a destination. */
export function WebhookFields({ initial, errors, urlHint }: { initial?: Partial<WebhookFormValues>; errors: Record<string, string[]>; urlHint?: string }) {
  const chosen = new Set(initial?.events ?? ["approval.requested"]);
  return (
    <>
      <Field id="webhook-name" label="Name" hint="Who receives it, e.g. #security-approvals or the SOAR." errors={errors.name}>
        <Input id="webhook-name" name="name" required defaultValue={initial?.name} autoFocus />
      </Field>
      <Field id="webhook-url" label="URL" hint={urlHint ?? "https://…; a Slack incoming webhook URL works with the Slack format."} errors={errors.url}>
        <Input id="webhook-url" name="url" type="url" required defaultValue={initial?.url} placeholder="https://hooks.example.com/warden" />
      </Field>
      <Field id="webhook-format" label="Body" errors={errors.format}>
        <Select id="webhook-format" name="format" defaultValue={initial?.format ?? "STANDARD"}>
          <option value="STANDARD">Standard Webhooks JSON (type, timestamp, data)</option>
          <option value="SLACK">Slack message (text and blocks)</option>
        </Select>
      </Field>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Events</legend>
        {errors.events ? (
          <p className="text-sm text-destructive" role="alert">
            {errors.events.join(" ")}
          </p>
        ) : null}
        <div className="grid gap-1 sm:grid-cols-2">
          {NOTIFICATION_EVENT_TYPES.map((type) => (
            <label key={type} className="flex items-start gap-2 text-sm">
              <input type="checkbox" name="events" value={type} defaultChecked={chosen.has(type)} className="mt-1" />
              <span>
                {EVENT_LABELS[type]} <code className="text-xs text-muted-foreground">{type}</code>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
    </>
  );
}
