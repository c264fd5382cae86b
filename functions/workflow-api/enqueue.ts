import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WorkflowJob } from '../../shared/messages/jobs';

/**
 * Puts a direct call's job on the workflow queue: the API's fallback when the engine cannot be
 * called now (breaker open, engine slow or failing, the job busy elsewhere). Loaded on the first
 * fallback only (see `wiring.ts`), so a container that never falls back never loads the SQS client.
 */
export async function enqueueWorkflowJob(
  sqs: SQSClient,
  queueUrl: string,
  job: WorkflowJob,
  attributes: Record<string, string>,
  delaySeconds: number,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(job),
      DelaySeconds: delaySeconds,
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([key, value]) => [
          key,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
}
