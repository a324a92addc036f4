// GraphQL documents used by more than one page. The webhook and delivery-log row fragments are
// shared by queries and subscriptions, so live updates and fetched pages have the same generated type.
import { graphql } from '../gql';

export const WebhookFieldsFragment = graphql(`
  fragment WebhookFields on Webhook {
    id
    name
    url
    events
    teamId
    severities
    enabled
    disabledReason
    format
    retryCount
    timeoutMs
    consecutiveFailures
    createdAt
    updatedAt
  }
`);

export const DeliveryRowFragment = graphql(`
  fragment DeliveryRow on Delivery {
    id
    webhookId
    eventId
    eventType
    status
    test
    attemptCount
    nextAttemptAt
    lastStatusCode
    createdAt
    updatedAt
  }
`);

export const EventTypesQuery = graphql(`
  query EventTypes {
    webhookEventTypes { name description builtIn }
  }
`);

export const WebhookChangesSubscription = graphql(`
  subscription WebhookChanges {
    webhookUpdated { ...WebhookFields }
  }
`);

export const EnableWebhookMutation = graphql(`
  mutation EnableWebhook($id: ID!) {
    updateWebhook(id: $id, input: { enabled: true }) { ...WebhookFields }
  }
`);
