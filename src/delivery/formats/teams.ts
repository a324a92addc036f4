// Teams incoming-webhook message carrying an Adaptive Card 1.4, the newest version every Teams client renders.
import { describe, factsOf, truncate } from './summary.ts';
import type { Formatter } from './types.ts';

/** Teams refuses messages over about 28 KB; ten facts of this size stay well below it. */
const VALUE_MAX = 500;
const TITLE_MAX = 150;

export const formatTeams: Formatter = (envelope) => {
  const description = describe(envelope);
  const facts = [...factsOf(envelope, description), { label: 'Event id', value: envelope.id }].map(({ label, value }) => ({
    title: truncate(label, TITLE_MAX),
    value: truncate(value, VALUE_MAX),
  }));
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: truncate(`Hookwarden: ${envelope.type}`, TITLE_MAX), weight: 'Bolder', size: 'Medium', wrap: true },
      { type: 'TextBlock', text: description.summary, wrap: true },
      { type: 'FactSet', facts },
    ],
  };
  const message = { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] };
  return { body: JSON.stringify(message), contentType: 'application/json' };
};
