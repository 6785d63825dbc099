import { authOperations } from '../routes/auth.ts';
import { calendarOperations } from '../routes/calendar.ts';
import { caseStepOperations } from '../routes/case-steps.ts';
import { caseOperations } from '../routes/cases.ts';
import { contactOperations } from '../routes/contacts.ts';
import { customerCsvOperations } from '../routes/customers-csv.ts';
import { customerOperations } from '../routes/customers.ts';
import { dashboardOperations } from '../routes/dashboard.ts';
import { docsOperations } from '../routes/docs.ts';
import { emailOperations } from '../routes/emails.ts';
import { giftPolicyOperations } from '../routes/gift-policy.ts';
import { giftReportOperations } from '../routes/gift-reports.ts';
import { giftOperations } from '../routes/gifts.ts';
import { healthOperations } from '../routes/health.ts';
import { importOperations } from '../routes/imports.ts';
import { knowledgeOperations } from '../routes/knowledge.ts';
import { meOperations } from '../routes/me.ts';
import { metricsOperations } from '../routes/metrics.ts';
import { notificationOperations } from '../routes/notifications.ts';
import { planOperations } from '../routes/plans.ts';
import { projectOperations } from '../routes/projects.ts';
import { reportOperations } from '../routes/reports.ts';
import { serviceReportOperations } from '../routes/service-reports.ts';
import { servicePolicyOperations } from '../routes/service-policy.ts';
import { serviceLevelReportOperations } from '../routes/reports-service-level.ts';
import { tierOperations } from '../routes/tiers.ts';
import { tierPolicyOperations } from '../routes/tier-policy.ts';
import { timelineOperations } from '../routes/timeline.ts';
import { userOperations } from '../routes/users.ts';
import { visitsOperations } from '../routes/visits.ts';
import { webhookOperations } from '../routes/webhooks.ts';
import type { Operation } from './operation.ts';

/** Every declared operation, in the order it is mounted (a literal path before a parameter that would match it). */
export const operations: readonly Operation[] = [
  ...healthOperations,
  ...docsOperations,
  ...dashboardOperations,
  ...metricsOperations,
  ...authOperations,
  ...userOperations,
  ...contactOperations,
  ...emailOperations,
  ...meOperations,
  ...notificationOperations,
  ...reportOperations,
  ...serviceReportOperations,
  ...serviceLevelReportOperations,
  ...giftReportOperations,
  ...webhookOperations,
  ...tierOperations,
  ...tierPolicyOperations,
  ...visitsOperations,
  ...calendarOperations,
  // the CSV export and import before /customers/:id, which would take their paths
  ...customerCsvOperations,
  ...customerOperations,
  ...timelineOperations,
  ...importOperations,
  ...projectOperations,
  ...planOperations,
  ...knowledgeOperations,
  ...servicePolicyOperations,
  ...caseOperations,
  ...caseStepOperations,
  ...giftOperations,
  ...giftPolicyOperations,
];
