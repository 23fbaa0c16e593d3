// The seed's users/messages schemas written with each Standard Schema
// library the package claims to work with.
import { z } from 'zod'
import * as v from 'valibot'
import { type } from 'arktype'

/** userSchema and messageSchema of the seed, per library. */
export const libs = {
  zod: {
    userSchema: z.object({
      id: z.string(),
      name: z.string(),
      email: z.string().email(),
    }),
    messageSchema: z.object({
      id: z.string(),
      userId: z.string(),
      text: z.string(),
      timestamp: z.string(),
    }),
  },
  valibot: {
    userSchema: v.object({
      id: v.string(),
      name: v.string(),
      email: v.pipe(v.string(), v.email()),
    }),
    messageSchema: v.object({
      id: v.string(),
      userId: v.string(),
      text: v.string(),
      timestamp: v.string(),
    }),
  },
  arktype: {
    userSchema: type({
      id: 'string',
      name: 'string',
      email: 'string.email',
    }),
    messageSchema: type({
      id: 'string',
      userId: 'string',
      text: 'string',
      timestamp: 'string',
    }),
  },
}
