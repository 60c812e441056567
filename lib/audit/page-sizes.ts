// Browser-safe: the trail's table offers these sizes, and its page query accepts only them.
export const AUDIT_PAGE_SIZES = [25, 50, 100, 200] as const;
