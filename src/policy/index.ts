export * from './arns';
export * from './categories';
export * from './config';
export * from './cron';
export * from './errors';
export * from './resource-types';
export * from './statements';
export * from './protection-record';
