import type { Formatter } from './types.ts';

export const formatJson: Formatter = (envelope) => ({
  body: JSON.stringify(envelope),
  contentType: 'application/json',
});
