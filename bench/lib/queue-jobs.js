// Queueing a benchmark's jobs on SQS (the email and workflow benchmarks).

const { SendMessageBatchCommand } = require('@aws-sdk/client-sqs');

/**
 * Queues `jobs` 10 per SendMessageBatch, `concurrency` calls at a time.
 * @param {import('@aws-sdk/client-sqs').SQSClient} sqs
 * @param {string} queueUrl
 * @param {object[]} jobs
 * @param {number} [concurrency]
 */
async function enqueueJobs(sqs, queueUrl, jobs, concurrency = 16) {
  /** @type {object[][]} */
  const chunks = [];
  for (let start = 0; start < jobs.length; start += 10) chunks.push(jobs.slice(start, start + 10));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = /** @type {object[]} */ (chunks[next]);
      next += 1;
      const { Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((job, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(job),
            MessageAttributes: {
              source: { DataType: 'String', StringValue: 'bench' },
              eventType: { DataType: 'String', StringValue: 'bench.email' },
            },
          })),
        }),
      );
      if (Failed.length > 0) throw new Error(`bench: SQS refused ${Failed.length} jobs`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

module.exports = { enqueueJobs };
