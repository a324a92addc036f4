import { useId } from 'react';
import { formatDateTime } from '../lib/format.ts';
import { CopyButton } from './CopyButton.tsx';

/** A signing secret, shown once. */
export function SecretReveal({ title, secret, oldSecretExpiresAt, onDone }: { title: string; secret: string; oldSecretExpiresAt?: string; onDone(): void }) {
  const id = useId();
  return (
    <section className="card secret" aria-labelledby={`${id}-title`} data-testid="secret-reveal">
      <h2 id={`${id}-title`}>{title}</h2>
      <p className="alert warning">
        <strong>Copy this signing secret now: you will not see this again.</strong> Your receiver needs it to verify the signatures.
      </p>
      <div className="field">
        <label htmlFor={`${id}-secret`}>Signing secret</label>
        <div className="inline">
          <input id={`${id}-secret`} className="mono" readOnly value={secret} onFocus={(e) => e.target.select()} />
          <CopyButton text={secret} />
        </div>
      </div>
      {oldSecretExpiresAt && (
        <p>
          The old secret keeps signing too until <time dateTime={oldSecretExpiresAt}>{formatDateTime(oldSecretExpiresAt)}</time>, so receivers can switch
          over in the meantime.
        </p>
      )}
      <button type="button" className="primary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}
